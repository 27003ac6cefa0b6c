package io.pgroute.proxy.sql;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExpressionVisitorAdapter;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.TimeKeyExpression;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.piped.FromQuery;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.FromItemVisitor;
import net.sf.jsqlparser.statement.select.GroupByElement;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.select.LateralSubSelect;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedFromItem;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;
import net.sf.jsqlparser.statement.select.SelectVisitor;
import net.sf.jsqlparser.statement.select.SetOperationList;
import net.sf.jsqlparser.statement.select.TableFunction;
import net.sf.jsqlparser.statement.select.TableStatement;
import net.sf.jsqlparser.statement.select.Values;
import net.sf.jsqlparser.statement.select.WithItem;

/**
 * Walks a JSqlParser query tree and collects what routing needs: tables read, SELECT INTO targets, function
 * calls in every clause (ORDER BY, GROUP BY, windows, aggregates' ORDER BY included) and locking clauses at
 * any nesting level. Data-modifying WITH items are handed to {@link DmlWalker}. Replaces TablesNamesFinder,
 * which throws on writable CTEs and misses ORDER BY.
 */
final class TreeWalker extends ExpressionVisitorAdapter<Void> implements SelectVisitor<Void>, FromItemVisitor<Void> {
    final Set<String> tablesRead = new LinkedHashSet<>();
    final Set<String> tablesWritten = new LinkedHashSet<>();
    final Set<String> functions = new LinkedHashSet<>();
    final Set<String> intoTables = new LinkedHashSet<>();
    /** SQL value functions that JSqlParser reads as bare column names. */
    private static final Set<String> VALUE_FUNCTIONS = Set.of("localtime", "localtimestamp", "current_user",
            "session_user", "current_role", "current_catalog", "current_schema", "user", "current_time",
            "current_date", "current_timestamp");

    private final Set<String> cteNames = new HashSet<>();
    boolean lockingClause;
    boolean writableCte;

    TreeWalker() {
        setSelectVisitor(this);
    }

    /** Tables read, without the names of the statement's own CTEs. */
    Set<String> realTablesRead() {
        Set<String> result = new LinkedHashSet<>(tablesRead);
        result.removeAll(cteNames);
        return result;
    }

    void select(Select select) {
        if (select != null) {
            select.accept((SelectVisitor<Void>) this, null);
        }
    }

    void expression(Expression expression) {
        if (expression != null) {
            expression.accept(this, null);
        }
    }

    void expressions(Collection<? extends Expression> list) {
        if (list != null) {
            list.forEach(this::expression);
        }
    }

    void fromItem(FromItem item) {
        if (item != null) {
            item.accept((FromItemVisitor<Void>) this, null);
        }
    }

    void joins(List<Join> joins) {
        if (joins == null) {
            return;
        }
        for (Join each : joins) {
            fromItem(each.getFromItem());
            expressions(each.getOnExpressions());
        }
    }

    void orderBy(List<OrderByElement> elements) {
        if (elements != null) {
            elements.forEach(each -> expression(each.getExpression()));
        }
    }

    void selectItems(List<? extends SelectItem<?>> items) {
        if (items != null) {
            items.forEach(each -> expression(each.getExpression()));
        }
    }

    void withItems(List<WithItem<?>> items) {
        if (items == null) {
            return;
        }
        for (WithItem<?> each : items) {
            each.accept((SelectVisitor<Void>) this, null);
        }
    }

    /** The clauses every Select has: WITH, ORDER BY, LIMIT/OFFSET, locking. */
    private void selectCommon(Select select) {
        withItems(select.getWithItemsList());
        orderBy(select.getOrderByElements());
        if (select.getLimit() != null) {
            expression(select.getLimit().getRowCount());
            expression(select.getLimit().getOffset());
        }
        if (select.getOffset() != null) {
            expression(select.getOffset().getOffset());
        }
        lockingClause |= select.getForMode() != null;
    }

    @Override
    public <S> Void visit(PlainSelect select, S context) {
        selectCommon(select);
        if (select.getDistinct() != null) {
            selectItems(select.getDistinct().getOnSelectItems());
        }
        selectItems(select.getSelectItems());
        if (select.getIntoTables() != null) {
            select.getIntoTables().forEach(each -> intoTables.add(tableName(each)));
        }
        fromItem(select.getFromItem());
        joins(select.getJoins());
        expression(select.getWhere());
        GroupByElement groupBy = select.getGroupBy();
        if (groupBy != null) {
            expression(groupBy.getGroupByExpressionList());
            if (groupBy.getGroupingSets() != null) {
                groupBy.getGroupingSets().forEach(this::expression);
            }
        }
        expression(select.getHaving());
        expression(select.getQualify());
        if (select.getWindowDefinitions() != null) {
            select.getWindowDefinitions().forEach(each -> {
                expression(each.getPartitionExpressionList());
                orderBy(each.getOrderByElements());
            });
        }
        return null;
    }

    @Override
    public <S> Void visit(ParenthesedSelect select, S context) {
        selectCommon(select);
        select(select.getSelect());
        return null;
    }

    @Override
    public <S> Void visit(SetOperationList list, S context) {
        selectCommon(list);
        list.getSelects().forEach(this::select);
        return null;
    }

    @Override
    public <S> Void visit(WithItem<?> item, S context) {
        cteNames.add(Names.part(item.getAliasName()));
        Object body = item.getParenthesedStatement();
        if (body instanceof ParenthesedSelect nested) {
            visit(nested, context);
        } else {
            writableCte = true;
            new DmlWalker(this).statement(body);
        }
        return null;
    }

    @Override
    public <S> Void visit(Values values, S context) {
        expression(values.getExpressions());
        return null;
    }

    @Override
    public <S> Void visit(LateralSubSelect select, S context) {
        return visit((ParenthesedSelect) select, context);
    }

    @Override
    public <S> Void visit(TableStatement statement, S context) {
        tablesRead.add(tableName(statement.getTable()));
        return null;
    }

    @Override
    public <S> Void visit(FromQuery query, S context) {
        fromItem(query.getFromItem());
        joins(query.getJoins());
        return null;
    }

    @Override
    public <S> Void visit(Table table, S context) {
        tablesRead.add(tableName(table));
        return null;
    }

    @Override
    public <S> Void visit(TableFunction function, S context) {
        expression(function.getFunction());
        return null;
    }

    @Override
    public <S> Void visit(ParenthesedFromItem item, S context) {
        fromItem(item.getFromItem());
        joins(item.getJoins());
        return null;
    }

    @Override
    public <S> Void visit(Function function, S context) {
        List<String> parts = function.getMultipartName();
        functions.add(Names.function(parts == null ? List.of(function.getName()) : parts));
        orderBy(function.getOrderByElements());
        return super.visit(function, context);
    }

    @Override
    public <S> Void visit(AnalyticExpression expression, S context) {
        functions.add(Names.function(List.of(expression.getName())));
        orderBy(expression.getOrderByElements());
        expression(expression.getPartitionExpressionList());
        expression(expression.getFilterExpression());
        return super.visit(expression, context);
    }

    @Override
    public <S> Void visit(TimeKeyExpression expression, S context) {
        functions.add(Names.part(expression.getStringValue().strip()));
        return null;
    }

    @Override
    public <S> Void visit(Column column, S context) {
        String name = column.getColumnName();
        if (column.getTable() == null || column.getTable().getName() == null) {
            if (name != null && name.indexOf('"') < 0 && VALUE_FUNCTIONS.contains(Names.part(name))) {
                functions.add(Names.part(name));
            }
        }
        return null;
    }

    // The one-argument defaults exist in both visitor interfaces; Java needs them resolved here.

    @Override
    public void visit(PlainSelect select) {
        visit(select, null);
    }

    @Override
    public void visit(ParenthesedSelect select) {
        visit(select, null);
    }

    @Override
    public void visit(SetOperationList list) {
        visit(list, null);
    }

    @Override
    public void visit(Values values) {
        visit(values, null);
    }

    @Override
    public void visit(LateralSubSelect select) {
        visit(select, null);
    }

    @Override
    public void visit(TableStatement statement) {
        visit(statement, null);
    }

    static String tableName(Table table) {
        List<String> parts = table.getNameParts();
        if (parts == null || parts.isEmpty()) {
            return Names.part(table.getName());
        }
        List<String> ordered = new ArrayList<>(parts);
        Collections.reverse(ordered);
        return Names.join(ordered);
    }
}
