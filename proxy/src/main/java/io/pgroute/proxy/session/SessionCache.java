package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.cache.CacheKey;
import io.pgroute.proxy.cache.CachedResult;
import io.pgroute.proxy.cache.RedisCache;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.cache.ResultCache.ReadPlan;
import io.pgroute.proxy.cache.TableVersions;
import io.pgroute.proxy.routing.ClusterState;
import io.pgroute.proxy.routing.Lsn;
import io.pgroute.proxy.sql.StatementInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * One session's reads through the result cache (DESIGN.md, "Result cache"; docs/cache.md); its writes are
 * {@link CacheWrites}. Confined to the session's event loop; {@link ClientSession} calls it at these points:
 *
 * <pre>
 *   read unit at the head, idle session --lookup--> hit: answered from Redis, no server
 *                                         \--> miss: versions read, unit sent, answer captured (fill)
 *   fill's ReadyForQuery --> stored if complete, small enough, without error, no write was in flight on its
 *                            tables, and (from a replica) not older than the tables' last write
 * </pre>
 */
final class SessionCache {

    private static final Logger LOGGER = LoggerFactory.getLogger(SessionCache.class);

    private final ResultCache cache;
    private final String database;
    private final String role;
    private final Map<String, String> startupSettings;
    /**
     * Not part of a key: no answer pgroute caches can depend on it (a read of {@code current_setting()} or of
     * {@code pg_stat_activity} is never cached), and clients of different applications share entries.
     */
    private static final String APPLICATION_NAME = "application_name";

    /** The head frame whose unit was already looked up (or found not cacheable): not looked up again. */
    private PgFrame checkedHead;
    /** The plans of the session's last statement shapes. */
    private final io.pgroute.proxy.cache.PlanMemo plans;
    private boolean lookupInFlight;
    private Fill fill;
    /**
     * When the session last saw an answer that did not come from the local cache (a server's, or a Redis hit): a
     * local hit needs a lease renewed after it, so that no answer goes back behind one already seen.
     */
    private long floorNanos = System.nanoTime();
    /** What the last key shared with the session's others (see CacheKey.Context), and the settings it was made from. */
    private CacheKey.Context keyContext;
    private Map<String, String> keySettingsSource;

    SessionCache(ResultCache cache, SessionInfo info) {
        this.cache = cache;
        this.database = info.database();
        this.plans = new io.pgroute.proxy.cache.PlanMemo(cache, info.database());
        this.role = info.user();
        Map<String, String> settings = new TreeMap<>();
        info.startupParameters().forEach((name, value) -> {
            String folded = name.toLowerCase(Locale.ROOT);
            if (!folded.equals("user") && !folded.equals("database") && !folded.equals(APPLICATION_NAME)) {
                settings.put(folded, value);
            }
        });
        this.startupSettings = settings;
    }

    /** Whether this session's database caches at all. */
    boolean enabled() {
        return cache.enabledFor(database);
    }

    // ---- reads ----

    /** A lookup is in flight: nothing else may be sent or answered before it. */
    boolean lookupInFlight() {
        return lookupInFlight;
    }

    /** Whether {@code head} is new, i.e. its unit has not been considered for the cache yet. */
    boolean unchecked(PgFrame head) {
        return head != checkedHead;
    }

    /** The unit starting at {@code head} was considered (and is not looked up again). */
    void checked(PgFrame head) {
        checkedHead = head;
    }

    /**
     * The plan for a unit's statement, or empty when it is not cacheable or its shape is, for now, not worth a
     * lookup (it almost never hits).
     */
    Optional<ReadPlan> plan(StatementInfo statement) {
        Optional<ReadPlan> result = plans.plan(statement);
        return result.isPresent() && cache.admit(statement) ? result : Optional.empty();
    }

    /** The lookup of {@code statement} came back, a hit or not. */
    void looked(StatementInfo statement, boolean hit) {
        cache.recordLookup(statement, hit);
    }

    /** The key of {@code unit} under the session's current settings. */
    CacheKey key(CacheUnit unit, Map<String, String> sessionSettings) {
        if (keyContext == null || !sessionSettings.equals(keySettingsSource)) {
            Map<String, String> settings = new TreeMap<>(startupSettings);
            sessionSettings.forEach((name, value) -> settings.put(name.toLowerCase(Locale.ROOT), value));
            settings.remove(APPLICATION_NAME);
            keyContext = CacheKey.Context.of(database, role, CacheKey.Settings.of(settings));
            keySettingsSource = Map.copyOf(sessionSettings);
        }
        return CacheKey.builder(keyContext)
                .sql(unit.sql())
                .shape(unit.shape())
                .detail(unit.detail())
                .parameters(unit.values(), unit.formats())
                .resultFormats(unit.results())
                .build();
    }

    /**
     * Looks {@code key} up and, on a miss, reads the versions of the plan's tables in the same round trip; the
     * future completes on a Redis thread, never exceptionally.
     */
    CompletableFuture<RedisCache.Lookup> lookup(CacheKey key, ReadPlan plan) {
        lookupInFlight = true;
        return cache.redis().lookup(key, plan.tables(), floorNanos);
    }

    /** The session saw an answer at {@code nanos} that did not come from the local cache. */
    void observed(long nanos) {
        floorNanos = nanos;
    }

    /** Back on the event loop after a lookup (and, on a miss, the versions read). */
    void lookupDone() {
        lookupInFlight = false;
    }

    /**
     * A miss: capture the unit's answer from now on. {@code before} is the node monitor's view taken before the
     * unit is sent (null without replicas): what a replica had replayed by then bounds what its answer can miss.
     */
    void startFill(CacheKey key, ReadPlan plan, TableVersions versions, ClusterState before) {
        discardFill();
        fill = new Fill(key, plan, versions, before, cache.maxResultBytes());
    }

    /** A message on its way to the client: part of the fill, if one runs. */
    void capture(Object message) {
        if (fill == null) {
            return;
        }
        if (message instanceof PgFrame frame && frame.isRaw()) {
            fill.addWire(frame.wire());
        } else if (message instanceof PgFrame frame) {
            fill.add(frame.type(), frame.content());
        } else if (message instanceof BackendMessage backend) {
            ByteBuf body = Unpooled.buffer();
            try {
                backend.encodeBody(body);
                fill.add(backend.type().code(), body);
            } finally {
                body.release();
            }
        }
        if (fill.tooLarge) {
            LOGGER.debug("cache fill abandoned key={}: more than {} bytes", fill.key, cache.maxResultBytes());
            cache.countTooLarge();
            fill = null;
        }
    }

    /**
     * The fill's cycle ended with {@code status}; stores the answer if it may be. {@code replayedBeforeSend}: what
     * the node that answered had replayed before the unit was sent, {@link Long#MAX_VALUE} for the primary.
     */
    void finishFill(byte status, String node, long replayedBeforeSend) {
        Fill done = fill;
        fill = null;
        if (done == null || done.failed || status != 'I') {
            return;
        }
        if (replayedBeforeSend != Long.MAX_VALUE && Long.compareUnsigned(replayedBeforeSend,
                done.versions.watermark()) < 0) {
            cache.countLagSkipped();
            LOGGER.debug("cache fill not stored key={}: {} had replayed {} but a write needs {}", done.key, node,
                    Lsn.format(replayedBeforeSend), Lsn.format(done.versions.watermark()));
            return;
        }
        CachedResult result = CachedResult.of(done.bytes(), done.versions);
        cache.redis().put(done.key, result, done.plan.ttl());
    }

    /** The node monitor's view before the running fill's unit was sent; null without a fill or replicas. */
    ClusterState fillState() {
        return fill == null ? null : fill.before;
    }

    boolean filling() {
        return fill != null;
    }

    /** The answer will not be complete (re-run on the primary, connection lost, session closing). */
    void discardFill() {
        fill = null;
    }

    /** The session is closing or lost its connection: no fill completes. */
    void abandon() {
        fill = null;
    }

    /** A result being captured for the cache. */
    private static final class Fill {
        private final CacheKey key;
        private final ReadPlan plan;
        private final TableVersions versions;
        private final ClusterState before;
        private final int limit;
        private byte[] buffer = new byte[256];
        private int size;
        private boolean tooLarge;
        private boolean failed;

        Fill(CacheKey key, ReadPlan plan, TableVersions versions, ClusterState before, int limit) {
            this.key = key;
            this.plan = plan;
            this.versions = versions;
            this.before = before;
            this.limit = limit;
        }

        private void add(byte type, ByteBuf body) {
            BackendType kind = BackendType.of(type);
            if (kind == BackendType.READY_FOR_QUERY) {
                return;
            }
            if (kind == BackendType.ERROR_RESPONSE || kind == BackendType.PARAMETER_STATUS
                    || kind == BackendType.NOTIFICATION_RESPONSE || kind == BackendType.COPY_OUT_RESPONSE
                    || kind == BackendType.COPY_IN_RESPONSE || kind == BackendType.PORTAL_SUSPENDED) {
                failed = true;
            }
            if (failed) {
                return;
            }
            int length = body.readableBytes();
            int needed = size + 5 + length;
            if (needed > limit) {
                tooLarge = true;
                return;
            }
            if (needed > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.min(limit, Math.max(needed, buffer.length * 2)));
            }
            buffer[size] = type;
            int frameLength = length + 4;
            buffer[size + 1] = (byte) (frameLength >>> 24);
            buffer[size + 2] = (byte) (frameLength >>> 16);
            buffer[size + 3] = (byte) (frameLength >>> 8);
            buffer[size + 4] = (byte) frameLength;
            body.getBytes(body.readerIndex(), buffer, size + 5, length);
            size = needed;
        }

        /** Complete DataRow messages as they arrived (a run), stored as they are. */
        private void addWire(ByteBuf wire) {
            if (failed) {
                return;
            }
            int length = wire.readableBytes();
            int needed = size + length;
            if (needed > limit) {
                tooLarge = true;
                return;
            }
            if (needed > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.min(limit, Math.max(needed, buffer.length * 2)));
            }
            wire.getBytes(wire.readerIndex(), buffer, size, length);
            size = needed;
        }

        private byte[] bytes() {
            return java.util.Arrays.copyOf(buffer, size);
        }
    }
}
