-- A journey's 1:1 message is an add_msg_template task the member confirms in WeCom: its step's outcome keeps
-- WeCom's msgid (`wecom` = 'created') until get_groupmsg_send_result says what became of it; these are the
-- ones still to follow.
create index journey_steps_unsettled on journey_steps (corp_id, done_at)
  where kind = 'send' and outcome->>'wecom' = 'created';
