-- Integrators (a mini-program, a POS, a membership system …) sign their /hooks requests with a secret of
-- their brand and source. The secret is kept encrypted (shown once, at creation); a revoked one stays listed.
create table integrations (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  source text not null check (source ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  secret_cipher text not null,
  created_by bigint,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
-- one live secret per brand and source
create unique index integrations_source on integrations (corp_id, source) where revoked_at is null;

-- A link undone: this identity is not this customer's. Automatic linking never ties them again.
create table identity_unlinks (
  corp_id text not null,
  kind text not null check (kind in ('external_userid', 'unionid', 'openid', 'phone')),
  value text not null,
  customer_id bigint not null,
  -- the source of the link that was undone, and when it was made
  source text not null,
  linked_at timestamptz not null,
  undone_by bigint,
  undone_at timestamptz not null,
  primary key (corp_id, kind, value, customer_id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, undone_by) references accounts (corp_id, id)
);
create index identity_unlinks_customer on identity_unlinks (corp_id, customer_id);

-- An identity that a record (order, member, WeCom) ties to one customer while another already holds it:
-- kept with its owner, and reported here rather than moved.
create table identity_conflicts (
  corp_id text not null,
  id bigint generated always as identity,
  kind text not null check (kind in ('external_userid', 'unionid', 'openid', 'phone')),
  value text not null,
  owner_customer_id bigint not null,
  claimant_customer_id bigint not null,
  source text not null,
  seen_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, owner_customer_id) references customers (corp_id, id),
  foreign key (corp_id, claimant_customer_id) references customers (corp_id, id)
);
create unique index identity_conflicts_claim on identity_conflicts (corp_id, kind, value, claimant_customer_id);
create index identity_conflicts_owner on identity_conflicts (corp_id, owner_customer_id);

-- Late linking: the unresolved orders and members that carry an identity, found when it appears.
create index orders_pending_external_userid on orders (corp_id, external_userid) where customer_id is null and external_userid is not null;
create index orders_pending_unionid on orders (corp_id, unionid) where customer_id is null and unionid is not null;
create index orders_pending_openid on orders (corp_id, openid) where customer_id is null and openid is not null;
create index orders_pending_phone on orders (corp_id, phone_hash) where customer_id is null and phone_hash is not null;
create index members_pending_external_userid on members (corp_id, external_userid) where customer_id is null and external_userid is not null;
create index members_pending_unionid on members (corp_id, unionid) where customer_id is null and unionid is not null;
create index members_pending_openid on members (corp_id, openid) where customer_id is null and openid is not null;
create index members_pending_phone on members (corp_id, phone_hash) where customer_id is null and phone_hash is not null;
