-- 客户朋友圈 (Moments) planned by HQ or a store on the playbook's three axes. A post is planned in a unit
-- (its scope), holds text and up to 9 images, or 1 video, or 1 link, the members who post it and the tags
-- of the customers who see it, and a planned time. At that time it is published through the outbox
-- (upload_attachment for its media, then add_moment_task); the moments job follows WeCom's job, then each
-- member's publishing and the likes and comments on it.
create table moment_media (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  kind text not null check (kind in ('image', 'video')),
  file_name text not null check (char_length(file_name) between 1 and 200),
  content_type text not null check (content_type in ('image/jpeg', 'image/png', 'video/mp4')),
  bytes bytea not null,
  size integer not null check (size > 0),
  -- WeCom's media_id from upload_attachment (attachment_type 1) and when it stops being valid (3 days)
  wecom_media_id text,
  wecom_expires_at timestamptz,
  created_by bigint,
  created_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);

create table moment_posts (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  axis text not null check (axis in ('product', 'persona', 'story')),
  title text not null check (char_length(title) between 1 and 60),
  body text not null default '' check (char_length(body) <= 2000),
  -- 'text' | 'images' | 'video' | 'link'
  content_kind text not null check (content_kind in ('text', 'images', 'video', 'link')),
  media_ids bigint[] not null default '{}',
  link_title text check (char_length(link_title) <= 64),
  link_url text check (char_length(link_url) <= 1000),
  -- the members (staff ids) who post it, and the tags (Siyu tag ids) of the customers who see it
  sender_staff_ids bigint[] not null,
  tag_ids bigint[] not null default '{}',
  planned_at timestamptz not null,
  status text not null default 'planned'
    check (status in ('planned', 'publishing', 'submitted', 'published', 'failed', 'cancelled')),
  failure text,
  jobid text,
  moment_id text,
  submitted_at timestamptz,
  published_at timestamptz,
  followed_at timestamptz,
  created_by bigint,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id)
);
create index moment_posts_planned on moment_posts (corp_id, planned_at);
create index moment_posts_open on moment_posts (status) where status in ('planned', 'publishing', 'submitted', 'published');

-- One row per member WeCom gave the task to (and per chosen member WeCom refused: invalid).
create table moment_post_members (
  corp_id text not null references corps (corp_id),
  post_id bigint not null,
  userid text not null,
  staff_id bigint,
  status text not null check (status in ('pending', 'published', 'invalid')),
  visible_count integer not null default 0,
  likes integer not null default 0,
  comments integer not null default 0,
  polled_at timestamptz,
  primary key (corp_id, post_id, userid),
  foreign key (corp_id, post_id) references moment_posts (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
