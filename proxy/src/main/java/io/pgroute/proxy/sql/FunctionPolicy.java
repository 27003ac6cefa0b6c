package io.pgroute.proxy.sql;

import java.util.List;
import java.util.function.Supplier;

/**
 * Decides what the functions and relations of a statement mean for routing and caching.
 *
 * <p>For each function, first match wins: always-primary list (nextval, advisory locks, txid_current…) →
 * primary; the server's release ({@code version()}) → primary, as the login's {@code server_version} came from it;
 * safe-on-standby allow-list → read, not cacheable; catalog IMMUTABLE → cacheable read, STABLE → read,
 * VOLATILE → primary; unknown to the catalog → {@link BuiltinFunctions}, and still unknown → primary. Words
 * followed by {@code (} in the token stream are checked as well, so a call the tree walk missed still counts.
 * Relations: node-local views, temp schemas, and the catalog's UNLOGGED tables and sequences → primary.
 */
final class FunctionPolicy {
    private final Supplier<FunctionCatalog> catalog;
    private final FunctionCatalog builtins = new BuiltinFunctions();

    FunctionPolicy(Supplier<FunctionCatalog> catalog) {
        this.catalog = catalog;
    }

    void apply(InfoBuilder info, Iterable<Token> tokens) {
        FunctionCatalog current = catalog.get();
        for (String each : info.functions) {
            function(info, current, each, true);
        }
        for (String each : lexicalCalls(tokens)) {
            function(info, current, each, false);
        }
        for (String each : info.tablesRead) {
            relation(info, current, each);
        }
    }

    private void function(InfoBuilder info, FunctionCatalog current, String name, boolean certain) {
        if (FunctionRules.isPrimaryOnly(name)) {
            info.primary("volatile function " + name);
            if (FunctionRules.pinsSession(name)) {
                info.pins();
            }
            if (!certain && FunctionRules.SETS_SETTINGS.equals(name)) {
                info.functions.add(name);  // a statement the parser could not read still pins its session for it
            }
            return;
        }
        if (FunctionRules.reportsServerRelease(name)) {
            info.primary("server release " + name);
            return;
        }
        if (FunctionRules.isSafeOnStandby(name)) {
            info.cacheable = false;
            return;
        }
        Volatility volatility = volatility(current, name);
        if (volatility == Volatility.VOLATILE || (certain && volatility == Volatility.UNKNOWN)) {
            info.primary((volatility == Volatility.VOLATILE ? "volatile function " : "unknown function ") + name);
        } else if (volatility != Volatility.IMMUTABLE && certain) {
            info.cacheable = false;
        }
    }

    Volatility volatility(FunctionCatalog current, String name) {
        Volatility result = current.volatility(name);
        return result == Volatility.UNKNOWN ? builtins.volatility(name) : result;
    }

    private static void relation(InfoBuilder info, FunctionCatalog current, String name) {
        if (FunctionRules.isNodeLocalRelation(name)) {
            info.primary("node-local view " + name);
        } else if (FunctionRules.isTemporaryRelation(name)) {
            info.primary("temporary table " + name);
        } else if (current.isPrimaryOnlyRelation(name)) {
            info.primary("unlogged table or sequence " + name);
        }
    }

    /** Names written as {@code name(} or {@code schema.name(} in the token stream (keywords included). */
    private static List<String> lexicalCalls(Iterable<Token> tokens) {
        List<String> result = new java.util.ArrayList<>();
        Token third = null;   // the three tokens before the current one, nearest last
        Token second = null;
        Token previous = null;
        for (Token each : tokens) {
            if (each.isSymbol("(") && previous != null && previous.identifier() != null) {
                String name = previous.identifier();
                if (second != null && second.isSymbol(".") && third != null && third.identifier() != null) {
                    String schema = third.identifier();
                    name = schema.equals("pg_catalog") ? name : schema + "." + name;
                }
                result.add(name);
            }
            third = second;
            second = previous;
            previous = each;
        }
        return result;
    }
}
