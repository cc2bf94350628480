import { Flex, Typography } from 'antd';

/** A member's name with their unit below it, as the send pages' tables show senders and owners. */
export function NameUnit({ name, unit }: { name: string | null; unit: string | null }) {
  return (
    <Flex vertical>
      <span>{name ?? '—'}</span>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {unit}
      </Typography.Text>
    </Flex>
  );
}
