-- How far Siyu has read a brand's session archive (会话存档): the seq of the last record taken. Customers'
-- messages in it mark the touches they answer (touches.replied_at).
create table archive_cursors (
  corp_id text not null references corps (corp_id),
  seq bigint not null check (seq >= 0),
  read_at timestamptz not null,
  primary key (corp_id)
);
