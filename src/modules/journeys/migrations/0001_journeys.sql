-- Journeys (客户旅程, customer SOPs): a versioned graph of trigger → steps, and where each enrolled customer is.
-- A journey belongs to the unit of the account that made it (seen from that subtree and from above, like
-- segments); its customers are those of that unit's scope.
create table journeys (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  name text not null check (char_length(name) between 1 and 60),
  status text not null default 'draft' check (status in ('draft', 'active', 'paused', 'archived')),
  -- the version new enrolments take; older versions' enrolments finish on theirs
  current_version int not null default 1,
  trigger_kind text not null,
  template text,
  -- when the periodic triggers (dates, segment entry, broadcasts) look at this journey next
  next_scan_at timestamptz,
  created_by bigint,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
create index journeys_unit on journeys (corp_id, unit_id);
create index journeys_trigger on journeys (corp_id, trigger_kind) where status = 'active';
create index journeys_scan on journeys (next_scan_at) where status = 'active';

-- One row per version: the graph as validated (journeys/graph.ts), never changed once enrolments use it.
create table journey_versions (
  corp_id text not null,
  journey_id bigint not null,
  version int not null,
  graph jsonb not null,
  created_by bigint,
  created_at timestamptz not null,
  primary key (corp_id, journey_id, version),
  foreign key (corp_id, journey_id) references journeys (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);

-- An enrolment: one customer on one version, at one node, due at a time. `occurrence` is '' for a journey
-- without re-entry (one enrolment per customer and version), else what started it (an order, a birthday's
-- date, a broadcast's run), so the same trigger seen twice enrols once.
create table journey_enrolments (
  corp_id text not null,
  id bigint generated always as identity,
  journey_id bigint not null,
  version int not null,
  customer_id bigint not null,
  occurrence text not null default '',
  node text not null,
  -- active: waiting for due_at at `node`; done: went through an exit or the end; exited: left early (why)
  status text not null default 'active' check (status in ('active', 'done', 'exited')),
  due_at timestamptz not null,
  -- a scheduler that claimed it holds it until then (a dead one's claim lapses)
  lease_until timestamptz,
  -- steps done so far: the next step's number (journey_steps.seq), so that none is done twice
  steps int not null default 0,
  -- a send the touch budget deferred: how many times, and why the last time
  deferrals int not null default 0,
  exit_reason text,
  -- a step that failed (rolled back, so not done) is tried again later; after 8 failures the enrolment exits
  failures int not null default 0,
  last_error text,
  entered_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  unique (corp_id, journey_id, version, customer_id, occurrence),
  foreign key (corp_id, journey_id, version) references journey_versions (corp_id, journey_id, version),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create index journey_enrolments_due on journey_enrolments (due_at) where status = 'active';
create index journey_enrolments_node on journey_enrolments (corp_id, journey_id, version, node, status);
create index journey_enrolments_customer on journey_enrolments (corp_id, customer_id, journey_id);

-- Every step done, once: (enrolment, seq) is unique, so a step replayed after a crash cannot be written twice.
create table journey_steps (
  corp_id text not null,
  enrolment_id bigint not null,
  seq int not null,
  journey_id bigint not null,
  version int not null,
  node text not null,
  kind text not null,
  -- what the step did: the branch taken, the message and its sender, the tags, the task
  outcome jsonb not null,
  due_at timestamptz not null,
  done_at timestamptz not null,
  primary key (corp_id, enrolment_id, seq),
  foreign key (corp_id, enrolment_id) references journey_enrolments (corp_id, id)
);
create index journey_steps_node on journey_steps (corp_id, journey_id, version, node);
