-- The content library (素材库) and script library (话术库): items a unit owns, seen by that unit, the units
-- below it and (read-only) from below; editable by the owning unit only. `text` may hold {{variables}}
-- (content/variables.ts); `attachments` is a JSON array in Siyu's shape (content/rules.ts), rendered to
-- add_msg_template's attachments when sent. `key` names an item stably for journeys and templates: unique per
-- unit, the nearest unit up the tree wins.
create table content_items (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  key text check (key ~ '^[a-z0-9][a-z0-9_.-]{0,59}$'),
  kind text not null check (kind in ('coupon', 'product', 'trust', 'persona', 'event')),
  script boolean not null default false,
  title text not null check (char_length(title) between 1 and 60),
  text text not null default '',
  attachments jsonb not null default '[]',
  personas text[] not null default '{}',
  stages text[] not null default '{}',
  products text[] not null default '{}',
  scenes text[] not null default '{}',
  created_by bigint,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
create unique index content_items_key on content_items (corp_id, unit_id, key) where key is not null;
create index content_items_unit on content_items (corp_id, unit_id, id);

-- One row per send or hand-over of an item to a customer (a journey step, a mass send's copy, a staff
-- member sending a script). touch_id is the outreach ledger's id when the use was a budgeted touch.
create table content_uses (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  content_id bigint not null,
  customer_id bigint not null,
  touch_id text,
  used_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, content_id) references content_items (corp_id, id) on delete cascade,
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create index content_uses_content on content_uses (corp_id, content_id, used_at) include (customer_id);
create unique index content_uses_touch on content_uses (corp_id, content_id, touch_id) where touch_id is not null;
