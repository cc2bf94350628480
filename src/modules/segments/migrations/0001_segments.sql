-- Segments: a named rule tree over customers (src/modules/segments/rule.ts). A segment belongs to the unit of
-- the account that created it; it is seen from that unit's subtree and from above, and always counted within
-- the viewer's own scope.
create table segments (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  name text not null check (char_length(name) between 1 and 60),
  description text not null default '',
  rule jsonb not null,
  created_by bigint,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
create index segments_unit on segments (corp_id, unit_id);

-- Layerings (分层方案): segments, each with the operation its customers receive (PLAYBOOK §4).
create table layerings (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  name text not null check (char_length(name) between 1 and 60),
  created_by bigint,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
create index layerings_unit on layerings (corp_id, unit_id);

create table layering_layers (
  corp_id text not null,
  layering_id bigint not null,
  position smallint not null,
  segment_id bigint not null,
  operation text not null check (char_length(operation) between 1 and 60),
  primary key (corp_id, layering_id, position),
  foreign key (corp_id, layering_id) references layerings (corp_id, id) on delete cascade,
  -- a segment in use by a layering cannot be deleted
  foreign key (corp_id, segment_id) references segments (corp_id, id)
);
create unique index layering_layers_segment on layering_layers (corp_id, layering_id, segment_id);
create index layering_layers_by_segment on layering_layers (corp_id, segment_id);

-- What the compiled conditions read (compile.ts), index-only: facts by last order and by top store; orders
-- by time for the windows (30/90/365 days) with the customer and the amount; an order's customer by its id,
-- for "bought product X" (order_items → orders).
create index customer_facts_last_order on customer_facts (corp_id, last_order_at, customer_id);
create index customer_facts_top_unit on customer_facts (corp_id, top_unit_id, customer_id);
create index orders_window on orders (corp_id, ordered_at) include (customer_id, paid_fen);
create index orders_customer_by_id on orders (corp_id, id) include (customer_id) where customer_id is not null;
