package io.pgroute.proxy.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * A client's prepared statements, by the names the client gave them (the unnamed one included). Each maps to SQL
 * text, parameter types and a proxy-chosen name derived from both, so every backend connection can prepare it on
 * first use under that name and clients with the same statement share it.
 */
final class PreparedStatements {

    /** One client statement. {@code backendName} is the name on backend connections. */
    record Statement(String sql, int[] parameterTypes, String backendName) {
    }

    private final Map<String, Statement> byName = new HashMap<>();
    /** The search_path the client SET, or null: part of a statement's server name (see {@link #backendName}). */
    private final java.util.function.Supplier<String> searchPath;

    PreparedStatements() {
        this(() -> null);
    }

    PreparedStatements(java.util.function.Supplier<String> searchPath) {
        this.searchPath = searchPath;
    }

    Statement define(String clientName, String sql, int[] parameterTypes) {
        Statement result = new Statement(sql, parameterTypes, backendName(sql, parameterTypes));
        byName.put(clientName, result);
        return result;
    }

    /**
     * The server name of a statement with this text and these parameter types, for this client now: clients share
     * it, unless they SET different search_paths, under which the same text may name other tables with other
     * columns (PostgreSQL would then refuse the shared plan with 0A000; COMPAT V2).
     */
    String backendName(String sql, int[] parameterTypes) {
        return backendName(sql, parameterTypes, searchPath.get());
    }

    Statement get(String clientName) {
        return byName.get(clientName);
    }

    void remove(String clientName) {
        byName.remove(clientName);
    }

    void clear() {
        byName.clear();
    }

    /** SQL DEALLOCATE ALL: every named statement goes, the unnamed one stays. */
    void clearNamed() {
        byName.keySet().removeIf(name -> !name.isEmpty());
    }

    int size() {
        return byName.size();
    }

    static String backendName(String sql, int[] parameterTypes, String searchPath) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(sql.getBytes(StandardCharsets.UTF_8));
            for (int each : parameterTypes) {
                digest.update((byte) (each >>> 24));
                digest.update((byte) (each >>> 16));
                digest.update((byte) (each >>> 8));
                digest.update((byte) each);
            }
            if (searchPath != null) {  // none SET: the names stay as they were, shared by every such client
                digest.update((byte) 0);
                digest.update(searchPath.getBytes(StandardCharsets.UTF_8));
            }
            return "pgr_" + HexFormat.of().formatHex(Arrays.copyOf(digest.digest(), 12));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }
}
