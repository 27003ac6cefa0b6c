package io.pgroute.proxy.testing;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A {@link TcpRelay} in front of one PostgreSQL server that drops the BackendKeyData ('K') from the server's answers,
 * as a server behind another pooler or a PostgreSQL-compatible server may do: its clients get no cancel key.
 * Everything else is copied as it came; a server that accepts TLS ('S') is relayed untouched from then on.
 */
public final class KeylessRelay {

    private static final int BACKEND_KEY_DATA = 'K';

    private KeylessRelay() {
    }

    /** Such a relay to {@code target}. */
    public static TcpRelay to(int target) throws IOException {
        return new TcpRelay(KeylessRelay::filter, target);
    }

    /**
     * Server to client, message by message. Before the first typed message the server may answer SSLRequest or
     * GSSENCRequest with one byte: 'N' (go on in plaintext) or 'S'/'G' (encryption follows: copied raw).
     */
    private static void filter(InputStream raw, OutputStream out) throws IOException {
        DataInputStream from = new DataInputStream(raw);
        BufferedOutputStream to = new BufferedOutputStream(out, 1 << 16);
        boolean started = false;
        while (true) {
            int type = from.read();
            if (type < 0) {
                to.flush();
                return;
            }
            if (!started && type == 'N') {
                to.write(type);
                to.flush();
                continue;
            }
            if (!started && (type == 'S' || type == 'G')) {
                to.write(type);
                to.flush();
                from.transferTo(out);
                return;
            }
            started = true;
            int length = from.readInt();
            if (length < 4) {
                throw new EOFException("bad length " + length);
            }
            byte[] body = from.readNBytes(length - 4);
            if (type != BACKEND_KEY_DATA) {
                to.write(type);
                to.write(length >>> 24);
                to.write(length >>> 16);
                to.write(length >>> 8);
                to.write(length);
                to.write(body);
            }
            if (from.available() == 0) {
                to.flush();
            }
        }
    }
}
