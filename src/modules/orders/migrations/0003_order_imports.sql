-- Excel/CSV order imports: one row per import, with its progress and totals. The file (encrypted with the
-- PII key: it holds phone numbers) is kept while the import runs, so an interrupted one resumes from its
-- cursor (ingestOrders is idempotent, so a batch done twice creates nothing twice), and dropped when it ends.
create table order_imports (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  file_name text not null,
  source text not null check (source ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  status text not null check (status in ('running', 'done', 'failed')),
  -- the importer's unit: its subtree bounds the stores imported into and who may read the import;
  -- null for the whole brand (an HQ admin at the root, or the CLI)
  scope_unit_id bigint,
  created_by bigint,
  -- the account's name, or 'CLI'
  created_by_name text not null,
  file bytea,
  total_lines integer not null,
  -- distinct order numbers in the file, and those of them that passed the file's checks
  total_orders integer not null,
  valid_orders integer not null,
  -- valid orders handed to ingestOrders so far, in file order: where a resumed import goes on
  cursor integer not null default 0,
  created integer not null default 0,
  duplicates integer not null default 0,
  invalid integer not null default 0,
  -- rows in the error report (order_import_errors)
  error_count integer not null default 0,
  failure text,
  -- a running import is held by one process until then; past it, another may resume it
  lease_until timestamptz,
  started_at timestamptz not null,
  updated_at timestamptz not null,
  finished_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, scope_unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);

-- The row-level report: which row, which column, why (in both languages).
create table order_import_errors (
  corp_id text not null,
  import_id bigint not null,
  seq integer not null,
  row_no integer not null,
  column_name text not null,
  field text not null,
  order_no text,
  message_zh text not null,
  message_en text not null,
  primary key (corp_id, import_id, seq),
  foreign key (corp_id, import_id) references order_imports (corp_id, id)
);
