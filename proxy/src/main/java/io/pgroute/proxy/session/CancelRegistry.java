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
 */
public final class CancelRegistry {

    private final Map<Integer, ClientSession> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger nextProcessId = new AtomicInteger(1 + new SecureRandom().nextInt(1 << 20));
    private final SecureRandom random = new SecureRandom();

    /** A new key for a session: process id unique in this process, random secret of {@code secretLength} bytes. */
    public Key mint(int secretLength) {
        byte[] secret = new byte[secretLength];
        random.nextBytes(secret);
        int processId;
        do {
            processId = nextProcessId.getAndIncrement() & Integer.MAX_VALUE;
        } while (processId == 0 || sessions.containsKey(processId));
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
