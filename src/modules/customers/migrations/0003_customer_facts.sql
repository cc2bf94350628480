-- What Siyu derives about a customer from orders and events; kept fresh as they arrive, recomputable in full.
create table customer_facts (
  corp_id text not null,
  customer_id bigint not null,
  order_count integer not null default 0,
  -- LTV: the sum of paid amounts
  paid_fen bigint not null default 0,
  first_order_at timestamptz,
  last_order_at timestamptz,
  coupon_orders integer not null default 0,
  -- price sensitivity: coupon_orders / order_count, 0..1; null without orders
  coupon_share real,
  -- the store of most orders
  top_unit_id bigint,
  r_score smallint check (r_score between 1 and 5),
  f_score smallint check (f_score between 1 and 5),
  m_score smallint check (m_score between 1 and 5),
  stage text not null default 'new' check (stage in ('new', 'active', 'repeat', 'super', 'dormant', 'churned')),
  member_level text,
  member_since date,
  birthday date,
  computed_at timestamptz not null,
  primary key (corp_id, customer_id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, top_unit_id) references org_units (corp_id, id)
);
create index customer_facts_stage on customer_facts (corp_id, stage);
