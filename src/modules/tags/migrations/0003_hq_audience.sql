-- Tag groups for HQ only (e.g. franchise leads, pilot cohorts): a fourth audience beside all, ops, front_line.
alter table tag_groups drop constraint tag_groups_audience_check;
alter table tag_groups add constraint tag_groups_audience_check
  check (audience in ('all', 'ops', 'front_line', 'hq'));
