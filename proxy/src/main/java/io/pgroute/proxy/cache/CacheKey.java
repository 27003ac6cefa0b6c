package io.pgroute.proxy.cache;

import io.netty.util.concurrent.FastThreadLocal;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a cached result is filed under: the database (kept in clear, it namespaces the Redis keys) and a 128-bit
 * hash (SHA-256, truncated) of everything that can change the bytes of the answer.
 *
 * <p>Hashed fields, in this order, each length-prefixed so that no two different inputs concatenate to the same
 * bytes: key format, protocol shape, the session's {@link Context} (the SHA-256 of database, role and the
 * result-changing session settings, names case-folded and sorted), SQL text, protocol detail (message sequence,
 * parameter types), parameter values (a {@code null} is length -1, distinct from an empty value), parameter format
 * codes and result format codes. The context is hashed once per session and settings, not once per key: it is most
 * of a key's bytes. Format codes are hashed as given: {@code []} and {@code [0]} mean the same to
 * PostgreSQL but give different keys, which costs a hit, never correctness.
 */
public final class CacheKey {

    /** How the statement reached us: a simple Query or an extended-protocol Parse/Bind/Execute batch. */
    public enum Shape {
        SIMPLE, EXTENDED
    }

    private static final int HASH_BYTES = 16;
    /** Netty's thread-locals (an array index; see ThreadCounter): keys are made on the event loops. */
    private static final FastThreadLocal<MessageDigest> DIGEST = new FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-256", e);
            }
        }
    };
    private static final FastThreadLocal<Input> INPUT = new FastThreadLocal<>() {
        @Override
        protected Input initialValue() {
            return new Input();
        }
    };
    private static final int KEY_FORMAT = 3;
    private static final HexFormat HEX = HexFormat.of();

    private final String database;
    private final byte[] hash;

    private CacheKey(String database, byte[] hash) {
        this.database = database;
        this.hash = hash;
    }

    /** Starts a key for a statement run by {@code role} in {@code database}. */
    public static Builder builder(String database, String role) {
        return new Builder(database, role);
    }

    /** The database whose Redis namespace holds the entry. */
    public String database() {
        return database;
    }

    /** The 128-bit hash as 32 lowercase hex digits. */
    public String hex() {
        return HEX.formatHex(hash);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CacheKey that && database.equals(that.database) && Arrays.equals(hash, that.hash);
    }

    @Override
    public int hashCode() {
        return 31 * database.hashCode() + Arrays.hashCode(hash);
    }

    @Override
    public String toString() {
        return "CacheKey[" + database + "/" + hex() + "]";
    }

    /**
     * Result-changing session settings in the form they are hashed: names case-folded and sorted, each name and
     * value length-prefixed. A session's settings rarely change, so it encodes them once for many keys.
     */
    public static final class Settings {

        static final Settings NONE = of(Map.of());

        private final byte[] encoded;

        private Settings(byte[] encoded) {
            this.encoded = encoded;
        }

        /** Encodes {@code values}; names are case-insensitive, as in PostgreSQL, and a null value differs from "". */
        public static Settings of(Map<String, String> values) {
            TreeMap<String, String> sorted = new TreeMap<>();
            values.forEach((name, value) -> {
                String folded = name.toLowerCase(Locale.ROOT);
                if (sorted.containsKey(folded)) {
                    throw new IllegalArgumentException("setting given twice: " + name);
                }
                sorted.put(folded, value);
            });
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeInt(out, sorted.size());
            sorted.forEach((name, value) -> {
                writeBytes(out, name.getBytes(StandardCharsets.UTF_8));
                writeBytes(out, value == null ? null : io.pgroute.protocol.PgBuffers.bytes(value));
            });
            return new Settings(out.toByteArray());
        }

        private static void writeBytes(ByteArrayOutputStream out, byte[] value) {
            if (value == null) {
                writeInt(out, -1);
                return;
            }
            writeInt(out, value.length);
            out.writeBytes(value);
        }

        private static void writeInt(ByteArrayOutputStream out, int value) {
            out.write(value >>> 24);
            out.write(value >>> 16);
            out.write(value >>> 8);
            out.write(value);
        }
    }

    /**
     * What a session's keys share, hashed once: database, role and settings. A session makes one when its settings
     * change and keys many statements with it.
     */
    public static final class Context {

        private final String database;
        private final byte[] digest;

        private Context(String database, byte[] digest) {
            this.database = database;
            this.digest = digest;
        }

        /** The context of {@code role}'s statements in {@code database} under {@code settings}. */
        public static Context of(String database, String role, Settings settings) {
            Input input = INPUT.get().start();
            input.putString(Objects.requireNonNull(database, "database"));
            input.putString(Objects.requireNonNull(role, "role"));
            input.put(settings.encoded);
            MessageDigest digest = Builder.sha256();
            input.hashInto(digest);
            return new Context(database, digest.digest());
        }
    }

    /** Starts a key in a context made by {@link Context#of}. */
    public static Builder builder(Context context) {
        return new Builder(context);
    }

    /** Collects the hashed fields; everything but database and role defaults to empty / simple protocol. */
    public static final class Builder {

        private final String database;
        private final String role;
        private Context context;
        private Settings settings = Settings.NONE;
        private String sql = "";
        private byte[][] parameters = new byte[0][];
        private short[] parameterFormats = new short[0];
        private short[] resultFormats = new short[0];
        private Shape shape = Shape.SIMPLE;
        private String detail = "";

        private Builder(String database, String role) {
            this.database = Objects.requireNonNull(database, "database");
            this.role = Objects.requireNonNull(role, "role");
        }

        private Builder(Context context) {
            this.context = Objects.requireNonNull(context, "context");
            this.database = context.database;
            this.role = null;
        }

        /**
         * The session settings that change results (search_path, TimeZone, DateStyle, IntervalStyle,
         * extra_float_digits, bytea_output, standard_conforming_strings, client_encoding). Names are
         * case-insensitive, as in PostgreSQL; a {@code null} value differs from an empty one.
         */
        public Builder settings(Map<String, String> value) {
            requireNoContext();
            this.settings = Settings.of(value);
            return this;
        }

        /** Settings encoded once ({@link Settings#of}) for many keys. */
        public Builder settings(Settings value) {
            requireNoContext();
            this.settings = Objects.requireNonNull(value, "settings");
            return this;
        }

        private void requireNoContext() {
            if (context != null) {
                throw new IllegalStateException("the settings are part of the key's context");
            }
        }

        /** The statement text, exactly as the client sent it. */
        public Builder sql(String value) {
            this.sql = Objects.requireNonNull(value, "sql");
            return this;
        }

        /** Bind parameter values ({@code null} element = SQL NULL) and their format codes. */
        public Builder parameters(byte[][] values, short[] formats) {
            this.parameters = Objects.requireNonNull(values, "values");
            this.parameterFormats = Objects.requireNonNull(formats, "formats");
            return this;
        }

        /** Result column format codes from Bind. */
        public Builder resultFormats(short[] value) {
            this.resultFormats = Objects.requireNonNull(value, "resultFormats");
            return this;
        }

        /** Simple or extended protocol. */
        public Builder shape(Shape value) {
            this.shape = Objects.requireNonNull(value, "shape");
            return this;
        }

        /**
         * What else shapes the answer's bytes: for an extended-protocol batch, its message sequence (which
         * Describes, whether it parses) and the declared parameter types.
         */
        public Builder detail(String value) {
            this.detail = Objects.requireNonNull(value, "detail");
            return this;
        }

        /** Hashes the fields. */
        public CacheKey build() {
            Context shared = context != null ? context : Context.of(database, role, settings);
            Input input = INPUT.get().start();
            input.putInt(KEY_FORMAT);
            input.putInt(shape.ordinal());
            input.put(shared.digest);
            input.putString(sql);
            input.putString(detail);
            input.putInt(parameters.length);
            for (byte[] each : parameters) {
                input.putBytes(each);
            }
            input.putShorts(parameterFormats);
            input.putShorts(resultFormats);
            MessageDigest digest = sha256();
            input.hashInto(digest);
            return new CacheKey(database, Arrays.copyOf(digest.digest(), HASH_BYTES));
        }

        /** A reset SHA-256 of this thread: looking one up costs more than hashing a short key. */
        static MessageDigest sha256() {
            MessageDigest result = DIGEST.get();
            result.reset();
            return result;
        }
    }

    /**
     * The bytes a key hashes, gathered in one array of this thread's: SHA-256 is then fed once, where a call per
     * field cost more than hashing a short key. Each field is length-prefixed (-1: null).
     */
    private static final class Input {

        private static final int INITIAL = 512;
        /** An array grown past this is not kept for the next key. */
        private static final int KEPT = 64 * 1024;

        private byte[] bytes = new byte[INITIAL];
        private int length;

        /** Drops whatever a key that failed half-way left behind. */
        Input start() {
            length = 0;
            return this;
        }

        void putInt(int value) {
            ensure(4);
            bytes[length] = (byte) (value >>> 24);
            bytes[length + 1] = (byte) (value >>> 16);
            bytes[length + 2] = (byte) (value >>> 8);
            bytes[length + 3] = (byte) value;
            length += 4;
        }

        void put(byte[] value) {
            ensure(value.length);
            System.arraycopy(value, 0, bytes, length, value.length);
            length += value.length;
        }

        void putBytes(byte[] value) {
            if (value == null) {
                putInt(-1);
                return;
            }
            putInt(value.length);
            put(value);
        }

        /** The bytes the string was read from (texts in another client encoding included, see PgBuffers). */
        void putString(String value) {
            putBytes(value == null ? null : io.pgroute.protocol.PgBuffers.bytes(value));
        }

        void putShorts(short[] values) {
            putInt(values.length);
            ensure(2 * values.length);
            for (short each : values) {
                bytes[length] = (byte) (each >>> 8);
                bytes[length + 1] = (byte) each;
                length += 2;
            }
        }

        /** Feeds what was gathered to {@code digest}. */
        void hashInto(MessageDigest digest) {
            digest.update(bytes, 0, length);
            length = 0;
            if (bytes.length > KEPT) {
                bytes = new byte[INITIAL];
            }
        }

        private void ensure(int more) {
            if (bytes.length - length < more) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8,
                        Math.max(2L * bytes.length, (long) length + more)));
            }
        }
    }
}
