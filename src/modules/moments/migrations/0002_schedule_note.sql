-- Why a post's time moved or its publishing waits: WeCom takes at most 10 add_moment_task a minute per corp
-- (API-FACTS-2 §10), so a post planned into a full minute is moved to the next one with room, and due posts
-- past that rate wait for the next minute; the console shows the reason.
alter table moment_posts add column schedule_note text check (char_length(schedule_note) <= 300);
