import {
  type BinaryOperationNode,
  OperatorNode,
  PostgresDialect,
  PostgresQueryCompiler,
  PrimitiveValueListNode,
  ValueListNode,
} from 'kysely';

/**
 * PostgreSQL as Kysely speaks it, except that `x in <empty list>` compiles to `false` and `x not in <empty
 * list>` to `true`. Kysely writes `in ()`, a syntax error, so every `.where(col, 'in', ids)` would need its
 * own guard against an empty `ids` (a tag group created without tags, a filter that matched nothing).
 * Raw `sql.join([])` is not covered: its callers guard the empty case themselves.
 */
export class SiyuPostgresDialect extends PostgresDialect {
  override createQueryCompiler() {
    return new EmptyListSafeCompiler();
  }
}

class EmptyListSafeCompiler extends PostgresQueryCompiler {
  protected override visitBinaryOperation(node: BinaryOperationNode): void {
    const op = OperatorNode.is(node.operator) ? node.operator.operator : undefined;
    const right = node.rightOperand;
    const empty = (PrimitiveValueListNode.is(right) || ValueListNode.is(right)) && right.values.length === 0;
    if (empty && (op === 'in' || op === 'not in')) this.append(op === 'in' ? 'false' : 'true');
    else super.visitBinaryOperation(node);
  }
}
