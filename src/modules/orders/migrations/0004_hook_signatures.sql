-- Signed /hooks requests seen within the timestamp window: a signature seen before is a replay and is
-- refused, in every process and after a restart. Rows older than the window are purged
-- (orders.purge-hook-signatures); a signed_at is the request's x-siyu-timestamp.
create table hook_signatures (
  corp_id text not null references corps (corp_id),
  signature text not null,
  source text not null,
  signed_at timestamptz not null,
  primary key (corp_id, signature)
);
create index hook_signatures_signed_at on hook_signatures (signed_at);
