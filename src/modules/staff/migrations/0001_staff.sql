-- A staff member is a WeCom member (userid) who owns customer relationships.
create table staff (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  userid text not null,
  name text not null,
  unit_id bigint not null,
  persona text not null check (persona in ('brand', 'expert', 'founder', 'sales', 'assistant')),
  persona_name text,
  journey_role text not null check (
    journey_role in ('online_ops', 'customer_service', 'consultant', 'sales', 'doctor', 'store_staff')
  ),
  title text,
  mobile_masked text,
  status text not null default 'active' check (status in ('active', 'disabled', 'departed')),
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
create unique index staff_userid on staff (corp_id, userid);
create index staff_unit on staff (corp_id, unit_id);
