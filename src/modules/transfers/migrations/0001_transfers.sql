-- One request of a person (a click): a departure transfer or a reassignment, with its rule.
create table transfer_batches (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  kind text not null check (kind in ('resigned', 'onjob')),
  -- least_load: to the store's other staff by fewest customers; successor: to one named member
  rule text not null check (rule in ('least_load', 'successor')),
  message text,
  requested_by bigint,
  requested_at timestamptz not null,
  primary key (corp_id, id)
);

-- One row per customer or group Siyu asked WeCom to move (离职继承 'resigned', 在职转接 'onjob'), followed to
-- its end: queued (in the outbox) → waiting (WeCom started the 24 h takeover) → done | refused | over_limit |
-- failed (WeCom refused the call for this item, errcode kept). Customers the 90-day protection excludes are
-- never sent (the answer and the audit entry list them). Groups go from queued to done or failed at once.
create table transfers (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  kind text not null check (kind in ('resigned', 'onjob')),
  target text not null check (target in ('customer', 'group')),
  customer_id bigint,
  external_userid text,
  group_id bigint,
  chat_id text,
  handover_staff_id bigint not null,
  handover_userid text not null,
  takeover_staff_id bigint not null,
  takeover_userid text not null,
  status text not null check (status in ('queued', 'waiting', 'done', 'refused', 'over_limit', 'failed')),
  errcode integer,
  reason text,
  message text,
  -- the wecom_outbox row that carries it (its idem_key)
  outbox_key text,
  -- the request that made it (one batch per click), and who asked
  batch_id bigint not null,
  requested_by bigint,
  requested_at timestamptz not null,
  takeover_at timestamptz,
  settled_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, batch_id) references transfer_batches (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, group_id) references groups (corp_id, id),
  foreign key (corp_id, handover_staff_id) references staff (corp_id, id),
  foreign key (corp_id, takeover_staff_id) references staff (corp_id, id),
  check ((target = 'customer') = (customer_id is not null)),
  check ((target = 'group') = (chat_id is not null))
);
create index transfers_open on transfers (corp_id, status, kind, handover_userid, takeover_userid)
  where status in ('queued', 'waiting');
create index transfers_customer on transfers (corp_id, customer_id, requested_at) where customer_id is not null;
create index transfers_chat on transfers (corp_id, chat_id, requested_at) where chat_id is not null;
create index transfers_batch on transfers (corp_id, batch_id);
create index transfers_outbox on transfers (corp_id, outbox_key) where status = 'queued';
create index transfers_recent on transfers (corp_id, id desc);
