package io.pgroute.proxy.session;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Process-wide map from the BackendKeyData pgroute gave each client to that client's session, so a CancelRequest
 * arriving on a fresh connection can find the query to cancel. Secret keys are random; a request whose key does
 * not match is ignored, as PostgreSQL does.
 *
 * <p>With peers (other instances behind the same load balancer, {@code peers:}), the process id carries this
 * instance's id in its high bits, above a 17-bit counter, so that an instance that receives a cancel it does not
 * know can tell whose it is ({@link #instanceOf}). The process id stays positive either way.
 */
public final class CancelRegistry {

    /** Bits of the process id below the instance id. */
    static final int INSTANCE_SHIFT = 17;
    private static final int COUNTER_MASK = (1 << INSTANCE_SHIFT) - 1;

    private final Map<Integer, ClientSession> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger nextProcessId = new AtomicInteger(1 + new SecureRandom().nextInt(1 << 16));
    private final SecureRandom random = new SecureRandom();
    /** This instance's id among its peers, 0 without peers. */
    private final int instance;

    /** Keys for an instance without peers. */
    public CancelRegistry() {
        this(0);
    }

    /** Keys that carry {@code instance} (1-16383), or none when it is 0. */
    public CancelRegistry(int instance) {
        if (instance < 0 || instance > Integer.MAX_VALUE >>> INSTANCE_SHIFT) {
            throw new IllegalArgumentException("instance id out of range: " + instance);
        }
        this.instance = instance;
    }

    /** The instance id a process id was minted by, when instances carry one (see the class comment). */
    public static int instanceOf(int processId) {
        return processId >>> INSTANCE_SHIFT;
    }

    /** A new key for a session: process id unique in this process, random secret of {@code secretLength} bytes. */
    public Key mint(int secretLength) {
        byte[] secret = new byte[secretLength];
        random.nextBytes(secret);
        int processId;
        if (instance == 0) {
            do {
                processId = nextProcessId.getAndIncrement() & Integer.MAX_VALUE;
            } while (processId == 0 || sessions.containsKey(processId));
        } else {
            int counter;
            do {
                counter = nextProcessId.getAndIncrement() & COUNTER_MASK;
                processId = instance << INSTANCE_SHIFT | counter;
            } while (counter == 0 || sessions.containsKey(processId));
        }
        return new Key(processId, secret);
    }

    public void register(Key key, ClientSession session) {
        sessions.put(key.processId(), session);
    }

    public void unregister(Key key) {
        sessions.remove(key.processId());
    }

    /** The session a CancelRequest is for, or null when the key is unknown or the secret wrong. */
    public ClientSession find(int processId, byte[] secret) {
        ClientSession result = sessions.get(processId);
        if (result == null || !result.cancelKey().matches(processId, secret)) {
            return null;
        }
        return result;
    }

    public int size() {
        return sessions.size();
    }

    /** A BackendKeyData pair. */
    public record Key(int processId, byte[] secret) {
        public Key {
            secret = secret.clone();
        }

        @Override
        public byte[] secret() {
            return secret.clone();
        }

        boolean matches(int otherProcessId, byte[] otherSecret) {
            return processId == otherProcessId && java.security.MessageDigest.isEqual(secret, otherSecret);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.processId == processId && Arrays.equals(key.secret, secret);
        }

        @Override
        public int hashCode() {
            return 31 * processId + Arrays.hashCode(secret);
        }

        @Override
        public String toString() {
            return "Key[" + processId + "]";
        }
    }
}
