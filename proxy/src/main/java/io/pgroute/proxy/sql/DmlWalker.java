package io.pgroute.proxy.sql;

import java.util.List;

import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.delete.ParenthesedDelete;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.insert.ParenthesedInsert;
import net.sf.jsqlparser.statement.merge.Merge;
import net.sf.jsqlparser.statement.merge.MergeDelete;
import net.sf.jsqlparser.statement.merge.MergeInsert;
import net.sf.jsqlparser.statement.merge.MergeOperation;
import net.sf.jsqlparser.statement.merge.MergeUpdate;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.update.ParenthesedUpdate;
import net.sf.jsqlparser.statement.update.Update;
import net.sf.jsqlparser.statement.update.UpdateSet;

/**
 * Collects written and read tables and functions of INSERT / UPDATE / DELETE / MERGE, at top level or as a
 * data-modifying WITH item, into a {@link TreeWalker}. Unknown statement types are reported, never ignored.
 */
final class DmlWalker {
    private final TreeWalker tree;

    DmlWalker(TreeWalker tree) {
        this.tree = tree;
    }

    /** Walks a DML statement (possibly parenthesized); returns false when the type is not DML. */
    boolean statement(Object statement) {
        if (statement instanceof ParenthesedInsert each) {
            return statement(each.getInsert());
        }
        if (statement instanceof ParenthesedUpdate each) {
            return statement(each.getUpdate());
        }
        if (statement instanceof ParenthesedDelete each) {
            return statement(each.getDelete());
        }
        if (statement instanceof Insert insert) {
            insert(insert);
        } else if (statement instanceof Update update) {
            update(update);
        } else if (statement instanceof Delete delete) {
            delete(delete);
        } else if (statement instanceof Merge merge) {
            merge(merge);
        } else {
            return false;
        }
        return true;
    }

    private void insert(Insert insert) {
        tree.withItems(insert.getWithItemsList());
        tree.tablesWritten.add(TreeWalker.tableName(insert.getTable()));
        tree.select(insert.getSelect());
        if (insert.getConflictTarget() != null) {
            tree.expression(insert.getConflictTarget().getIndexExpression());
            tree.expression(insert.getConflictTarget().getWhereExpression());
        }
        if (insert.getConflictAction() != null) {
            updateSets(insert.getConflictAction().getUpdateSets());
            tree.expression(insert.getConflictAction().getWhereExpression());
        }
        updateSets(insert.getSetUpdateSets());
        updateSets(insert.getDuplicateUpdateSets());
        if (insert.getReturningClause() != null) {
            tree.selectItems(insert.getReturningClause());
        }
    }

    private void update(Update update) {
        tree.withItems(update.getWithItemsList());
        tree.tablesWritten.add(TreeWalker.tableName(update.getTable()));
        updateSets(update.getUpdateSets());
        tree.fromItem(update.getFromItem());
        tree.joins(update.getJoins());
        tree.joins(update.getStartJoins());
        tree.expression(update.getWhere());
        tree.orderBy(update.getOrderByElements());
        if (update.getReturningClause() != null) {
            tree.selectItems(update.getReturningClause());
        }
    }

    private void delete(Delete delete) {
        tree.withItems(delete.getWithItemsList());
        if (delete.getTable() != null) {
            tree.tablesWritten.add(TreeWalker.tableName(delete.getTable()));
        }
        if (delete.getTables() != null) {
            delete.getTables().forEach(each -> tree.tablesWritten.add(TreeWalker.tableName(each)));
        }
        if (delete.getUsingList() != null) {
            delete.getUsingList().forEach(each -> tree.tablesRead.add(TreeWalker.tableName(each)));
        }
        joins(delete.getJoins());
        tree.expression(delete.getWhere());
        if (delete.getReturningClause() != null) {
            tree.selectItems(delete.getReturningClause());
        }
    }

    private void merge(Merge merge) {
        tree.withItems(merge.getWithItemsList());
        tree.tablesWritten.add(TreeWalker.tableName(merge.getTable()));
        if (merge.getUsingTable() != null) {
            tree.tablesRead.add(TreeWalker.tableName(merge.getUsingTable()));
        }
        tree.fromItem(merge.getFromItem());
        tree.expression(merge.getOnCondition());
        List<MergeOperation> operations = merge.getOperations();
        if (operations == null) {
            return;
        }
        for (MergeOperation each : operations) {
            if (each instanceof MergeUpdate update) {
                updateSets(update.getUpdateSets());
                tree.expression(update.getAndPredicate());
                tree.expression(update.getWhereCondition());
            } else if (each instanceof MergeInsert insert) {
                tree.expression(insert.getValues());
                tree.expression(insert.getAndPredicate());
            } else if (each instanceof MergeDelete delete) {
                tree.expression(delete.getAndPredicate());
            }
        }
    }

    private void joins(List<Join> joins) {
        tree.joins(joins);
    }

    private void updateSets(List<UpdateSet> sets) {
        if (sets == null) {
            return;
        }
        for (UpdateSet each : sets) {
            tree.expression(each.getValues());
        }
    }
}
