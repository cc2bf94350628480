-- Spend entered by a unit for a channel, a method or a campaign (a mass send) in a brand month: CAC and ROI
-- read it. A unit's spend is its subtree's: a store manager enters and sees only their stores'.
create table insight_spend (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  target_kind text not null check (target_kind in ('channel', 'method', 'campaign')),
  -- a channel id, a method name or a mass send id, as text
  target_key text not null check (char_length(target_key) between 1 and 40),
  month date not null,
  amount_fen bigint not null check (amount_fen > 0),
  note text not null default '' check (char_length(note) <= 200),
  created_by bigint,
  created_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
create index insight_spend_month on insight_spend (corp_id, month);

-- A pilot of a change (a journey, a linkage, a channel, a policy) run by some units from a day (PLAYBOOK §1):
-- the dashboards compare them with the rest, before and after.
create table insight_pilots (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  name text not null check (char_length(name) between 1 and 60),
  kind text not null check (kind in ('journey', 'linkage', 'channel', 'policy')),
  note text not null default '' check (char_length(note) <= 500),
  starts_on date not null,
  ends_on date,
  created_by bigint,
  created_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);

create table insight_pilot_units (
  corp_id text not null,
  pilot_id bigint not null,
  unit_id bigint not null,
  primary key (corp_id, pilot_id, unit_id),
  foreign key (corp_id, pilot_id) references insight_pilots (corp_id, id) on delete cascade,
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
