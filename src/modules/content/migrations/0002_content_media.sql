-- WeCom's temporary media (media/upload) made from library items' files: a source uploaded once is reused
-- while its media_id is valid (3 days from WeCom's created_at), then uploaded again. One row per source
-- (the file's URL) and media type.
create table content_media (
  corp_id text not null references corps (corp_id),
  media_type text not null check (media_type in ('image', 'video', 'file')),
  source text not null,
  media_id text not null,
  uploaded_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (corp_id, media_type, source)
);
