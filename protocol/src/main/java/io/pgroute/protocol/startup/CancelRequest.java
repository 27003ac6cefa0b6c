package io.pgroute.protocol.startup;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Asks the server, on a new connection, to cancel the query running in the session identified by the process id
 * and secret key from its BackendKeyData. The secret key is 4 bytes in protocol 3.0 and up to 256 in 3.2.
 */
public record CancelRequest(int processId, byte[] secretKey) implements StartupPacket {

    public static final int CODE = 80877102;
    public static final int MIN_KEY_LENGTH = 4;
    public static final int MAX_KEY_LENGTH = 256;

    public CancelRequest {
        if (secretKey.length < MIN_KEY_LENGTH || secretKey.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("secret key must have 4 to 256 bytes, not " + secretKey.length);
        }
    }

    // CancelRequest: Int32 len, Int32 80877102, Int32 pid, Byte[n] secret key (n = 4..256)
    static CancelRequest decodeAfterCode(ByteBuf packet) {
        int processId = PgBuffers.readInt(packet);
        int keyLength = packet.readableBytes();
        if (keyLength < MIN_KEY_LENGTH || keyLength > MAX_KEY_LENGTH) {
            throw new ProtocolException("invalid length of cancel request packet");
        }
        return new CancelRequest(processId, PgBuffers.readRemaining(packet));
    }

    // CancelRequest: Int32 len, Int32 80877102, Int32 pid, Byte[n] secret key
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(CODE);
        out.writeInt(processId);
        out.writeBytes(secretKey);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CancelRequest that && processId == that.processId
                && Arrays.equals(secretKey, that.secretKey);
    }

    @Override
    public int hashCode() {
        return 31 * processId + Arrays.hashCode(secretKey);
    }

    @Override
    public String toString() {
        return "CancelRequest[processId=" + processId + ", secretKey=" + HexFormat.of().formatHex(secretKey) + "]";
    }
}
