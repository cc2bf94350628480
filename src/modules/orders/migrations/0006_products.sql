-- The product catalogue as far as Siyu needs it: a product code seen on order lines (or named by HQ) with
-- its role on the product ladder (PLAYBOOK §6): traffic 引流品 → trust 建信品 → profit 利润品 → expansion 拓展品.
-- A code on order lines without a row here has no role yet.
create table products (
  corp_id text not null references corps (corp_id),
  code text not null check (char_length(code) between 1 and 64),
  name text not null default '' check (char_length(name) <= 100),
  ladder_role text check (ladder_role in ('traffic', 'trust', 'profit', 'expansion')),
  updated_by bigint,
  updated_at timestamptz not null,
  primary key (corp_id, code),
  foreign key (corp_id, updated_by) references accounts (corp_id, id)
);
