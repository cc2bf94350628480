-- Orders from integrators (mini-program, e-commerce, POS) and imports. One row per order of a source,
-- idempotent by (source, source_order_id). customer_id is null until OneID links the order.
create table orders (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  source text not null,
  source_order_id text not null,
  channel text not null check (channel in ('miniprogram', 'ecommerce', 'pos')),
  unit_id bigint,
  customer_id bigint,
  -- the identities the order came with, kept so it can be linked when one of them appears later
  external_userid text,
  unionid text,
  openid text,
  phone_hash text,
  total_fen bigint not null check (total_fen >= 0),
  paid_fen bigint not null check (paid_fen >= 0),
  coupon_code text,
  coupon_fen bigint not null default 0 check (coupon_fen >= 0),
  ordered_at timestamptz not null,
  linked_by text check (linked_by in ('external_userid', 'unionid', 'openid', 'phone')),
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create unique index orders_source on orders (corp_id, source, source_order_id);
create index orders_customer on orders (corp_id, customer_id, ordered_at);
create index orders_unit on orders (corp_id, unit_id, ordered_at);
create index orders_unlinked on orders (corp_id, id) where customer_id is null;

create table order_items (
  corp_id text not null,
  order_id bigint not null,
  line smallint not null,
  product_code text not null,
  product_name text not null,
  quantity integer not null check (quantity > 0),
  price_fen bigint not null check (price_fen >= 0),
  primary key (corp_id, order_id, line),
  foreign key (corp_id, order_id) references orders (corp_id, id)
);
create index order_items_product on order_items (corp_id, product_code, order_id);

-- OneID: every identity known for a customer, with where it came from. An identity belongs to one customer.
create table customer_identities (
  corp_id text not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  kind text not null check (kind in ('external_userid', 'unionid', 'openid', 'phone')),
  -- phone: the keyed hash, never the number
  value text not null,
  source text not null,
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create unique index customer_identities_value on customer_identities (corp_id, kind, value);
create index customer_identities_customer on customer_identities (corp_id, customer_id);

-- Members from the brand's membership system (one per source's member number), linked like orders.
create table members (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  source text not null,
  member_no text not null,
  customer_id bigint,
  level text,
  joined_at date,
  birthday date,
  points integer,
  external_userid text,
  unionid text,
  openid text,
  phone_hash text,
  linked_by text check (linked_by in ('external_userid', 'unionid', 'openid', 'phone')),
  updated_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create unique index members_source on members (corp_id, source, member_no);
create index members_customer on members (corp_id, customer_id);
