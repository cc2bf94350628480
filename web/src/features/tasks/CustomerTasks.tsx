import { Card, Empty, Flex } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { tasksApi } from './api';
import { type Assignee, CreateTaskButton } from './CreateTask';
import { TaskCard } from './TaskCard';

/** A customer's tasks on their profile, soonest due first; managers create one for a member who follows them. */
export function CustomerTasksCard({
  customer,
  assignees,
  onChanged,
}: {
  customer: { id: number; name: string };
  assignees: Assignee[];
  /** The profile reloads: a task changes the customer's timeline. */
  onChanged(): void;
}) {
  const { t } = useTranslation();
  const canCreate = mayCreate(useMe());
  const tasks = useAsync(
    (signal) => tasksApi.list({ customerId: customer.id, state: 'all', limit: 50 }, signal),
    `customer-tasks:${customer.id}`,
  );
  const changed = () => {
    tasks.reload();
    onChanged();
  };
  const items = tasks.data?.items ?? [];
  return (
    <Card
      title={t('tasks.customerTasks')}
      data-testid="customer-tasks"
      loading={tasks.loading && !tasks.data}
      extra={
        canCreate ? <CreateTaskButton customer={customer} assignees={assignees} onCreated={changed} /> : null
      }
    >
      {tasks.error ? <ErrorAlert error={tasks.error} onRetry={tasks.reload} /> : null}
      {items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('tasks.noCustomerTasks')} />
      ) : (
        <Flex vertical gap={8}>
          {items.map((task) => (
            <TaskCard key={task.id} task={task} showStaff hideCustomer onChanged={changed} />
          ))}
        </Flex>
      )}
    </Card>
  );
}
