package io.pgroute.proxy.admin;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a console command answers: typed columns and rows (a result set), or no columns for a command that only
 * reports its tag. Rows hold Java values ({@link ColumnType#text} turns them into text); null is SQL NULL.
 *
 * @param columns the columns; empty for a command without a result set
 * @param rows one array of values per row, as many as there are columns
 * @param tag the CommandComplete tag
 * @param afterReply run once the answer was flushed to the client (SHUTDOWN), or null
 */
public record AdminResult(List<Column> columns, List<Object[]> rows, String tag, Runnable afterReply) {

    /** A column: name and type. */
    public record Column(String name, ColumnType type) {
    }

    public AdminResult {
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }

    /** A command without a result set. */
    public static AdminResult command(String tag) {
        return new AdminResult(List.of(), List.of(), tag, null);
    }

    public boolean hasRows() {
        return !columns.isEmpty();
    }

    /** The values of column {@code name} in every row, for tests and logs. */
    public List<Object> column(String name) {
        int index = -1;
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                index = i;
            }
        }
        if (index < 0) {
            throw new IllegalArgumentException("no column " + name);
        }
        List<Object> result = new ArrayList<>();
        for (Object[] each : rows) {
            result.add(each[index]);
        }
        return result;
    }

    @Override
    public String toString() {
        StringBuilder result = new StringBuilder(tag).append(' ').append(columns.stream().map(Column::name).toList());
        rows.forEach(each -> result.append('\n').append(Arrays.toString(each)));
        return result.toString();
    }

    /** Collects the rows of a result set with the given columns. */
    public static final class Builder {

        private final List<Column> columns = new ArrayList<>();
        private final List<Object[]> rows = new ArrayList<>();

        public Builder column(String name, ColumnType type) {
            columns.add(new Column(name, type));
            return this;
        }

        public Builder row(Object... values) {
            if (values.length != columns.size()) {
                throw new IllegalArgumentException(values.length + " values for " + columns.size() + " columns");
            }
            rows.add(values.clone());
            return this;
        }

        public List<Column> columns() {
            return List.copyOf(columns);
        }

        public AdminResult build() {
            return new AdminResult(columns, rows, "SHOW", null);
        }
    }
}
