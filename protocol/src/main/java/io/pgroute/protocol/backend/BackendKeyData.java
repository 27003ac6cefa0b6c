package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;
import java.util.Arrays;

/**
 * The process id and secret key a client needs for a CancelRequest. The key is 4 bytes in protocol 3.0 and up to
 * 256 in 3.2. Not shown by {@link #toString()}.
 */
public record BackendKeyData(int processId, byte[] secretKey) implements BackendMessage {

    public static final int MIN_KEY_LENGTH = 4;
    public static final int MAX_KEY_LENGTH = 256;

    public BackendKeyData {
        if (secretKey.length < MIN_KEY_LENGTH || secretKey.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("secret key must have 4 to 256 bytes, not " + secretKey.length);
        }
    }

    @Override
    public BackendType type() {
        return BackendType.BACKEND_KEY_DATA;
    }

    // BackendKeyData: Byte1('K') Int32 len, Int32 pid, Byte[n] secret key (n = 4..256)
    public static BackendKeyData decode(ByteBuf body) {
        int processId = PgBuffers.readInt(body);
        int keyLength = body.readableBytes();
        if (keyLength < MIN_KEY_LENGTH || keyLength > MAX_KEY_LENGTH) {
            throw new ProtocolException("invalid secret key length " + keyLength);
        }
        return new BackendKeyData(processId, PgBuffers.readRemaining(body));
    }

    // BackendKeyData: Byte1('K') Int32 len, Int32 pid, Byte[n] secret key
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(processId);
        out.writeBytes(secretKey);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BackendKeyData that && processId == that.processId
                && Arrays.equals(secretKey, that.secretKey);
    }

    @Override
    public int hashCode() {
        return 31 * processId + Arrays.hashCode(secretKey);
    }

    @Override
    public String toString() {
        return "BackendKeyData[processId=" + processId + ", secretKey=" + secretKey.length + " bytes]";
    }
}
