-- Auto-tag rules: when a trigger matches, the rule's tags are put on the customer (here and in WeCom).
--   order_product  {"productCodes": ["P001", …]}       an order has one of these products
--   order_amount   {"minPaidFen": 30000}               a single order paid at least this much
--   order_coupon   {"couponCodes": []}                 an order used a coupon (any when the list is empty)
--   keyword        {"keywords": ["加盟", …]}            a customer's message contains one of the words
--   channel        {"methods": ["table_card"], "scenes": ["收银台"]}
--                  the customer added a member through a channel code of this method and/or scene
create table tag_rules (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  name text not null,
  kind text not null check (kind in ('order_product', 'order_amount', 'order_coupon', 'keyword', 'channel')),
  condition jsonb not null,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (corp_id, id)
);
create unique index tag_rules_name on tag_rules (corp_id, name);

create table tag_rule_tags (
  corp_id text not null,
  rule_id bigint not null,
  tag_id bigint not null,
  primary key (corp_id, rule_id, tag_id),
  foreign key (corp_id, rule_id) references tag_rules (corp_id, id) on delete cascade,
  foreign key (corp_id, tag_id) references tags (corp_id, id) on delete cascade
);
create index tag_rule_tags_tag on tag_rule_tags (corp_id, tag_id);

-- One row per rule × customer × trigger (`order:<id>`, `msg:<hash>`, `add:<userid>:<time>`): the same
-- trigger seen twice applies the rule once. tags_added counts the tags the customer did not have yet.
create table tag_rule_hits (
  corp_id text not null,
  rule_id bigint not null,
  customer_id bigint not null,
  trigger text not null,
  tags_added integer not null,
  at timestamptz not null,
  primary key (corp_id, rule_id, customer_id, trigger),
  foreign key (corp_id, rule_id) references tag_rules (corp_id, id) on delete cascade,
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create index tag_rule_hits_customer on tag_rule_hits (corp_id, customer_id);
