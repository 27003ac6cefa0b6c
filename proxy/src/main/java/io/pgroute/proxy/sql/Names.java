package io.pgroute.proxy.sql;

import java.util.List;
import java.util.Locale;

/** Identifier normalization as PostgreSQL folds names: unquoted lower-cased, quoted kept without quotes. */
final class Names {
    private static final String CATALOG_PREFIX = "pg_catalog.";

    private Names() {
    }

    /** One identifier part as written (possibly quoted) → folded. */
    static String part(String written) {
        if (written.length() >= 2 && written.charAt(0) == '"' && written.charAt(written.length() - 1) == '"') {
            return written.substring(1, written.length() - 1).replace("\"\"", "\"");
        }
        return written.toLowerCase(Locale.ROOT);
    }

    /** Dotted name from its written parts; null/empty parts are skipped. */
    static String join(List<String> parts) {
        StringBuilder result = new StringBuilder();
        for (String each : parts) {
            if (each == null || each.isEmpty()) {
                continue;
            }
            if (result.length() > 0) {
                result.append('.');
            }
            result.append(part(each));
        }
        return result.toString();
    }

    /** Function name: as {@link #join} with {@code pg_catalog.} dropped. */
    static String function(List<String> parts) {
        String result = join(parts);
        return result.startsWith(CATALOG_PREFIX) ? result.substring(CATALOG_PREFIX.length()) : result;
    }

    /** The unqualified last part of a normalized name. */
    static String base(String normalized) {
        int dot = normalized.lastIndexOf('.');
        return dot < 0 ? normalized : normalized.substring(dot + 1);
    }

    /** True when the normalized name has no schema or is in pg_catalog (already stripped). */
    static boolean isCatalogOrUnqualified(String normalized) {
        return normalized.indexOf('.') < 0;
    }

    /** Whether a normalized qualified name is in the temporary schema ({@code pg_temp.t}, {@code pg_temp_3.t}). */
    static boolean inTemporarySchema(String name) {
        int dot = name.indexOf('.');
        return dot > 0 && isTemporarySchema(name.substring(0, dot));
    }

    /** {@code pg_temp}, the alias of the session's temporary schema, or a {@code pg_temp_N} one named outright. */
    static boolean isTemporarySchema(String schema) {
        if (schema.equals("pg_temp")) {
            return true;
        }
        if (!schema.startsWith("pg_temp_") || schema.length() == "pg_temp_".length()) {
            return false;
        }
        for (int i = "pg_temp_".length(); i < schema.length(); i++) {
            if (!Character.isDigit(schema.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
