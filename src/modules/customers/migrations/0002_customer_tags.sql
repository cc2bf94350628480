-- The corp tags on each customer (synced with WeCom's tags on the customer's follows).
create table customer_tags (
  corp_id text not null,
  customer_id bigint not null,
  tag_id bigint not null,
  staff_id bigint,
  tagged_at timestamptz not null,
  primary key (corp_id, customer_id, tag_id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, tag_id) references tags (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create index customer_tags_tag on customer_tags (corp_id, tag_id, customer_id);
