package io.pgroute.protocol.startup;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;

/**
 * A packet a client sends before the typed protocol starts: an Int32 length (counting itself), an Int32 code and a
 * body. The code tells the packets apart: a protocol version for {@link StartupMessage}, a magic number for the
 * others.
 */
public sealed interface StartupPacket permits StartupMessage, SSLRequest, GSSENCRequest, CancelRequest {

    /** The largest startup packet accepted, length field included (PostgreSQL's MAX_STARTUP_PACKET_LENGTH). */
    int MAX_LENGTH = 10_000;

    /** Writes everything after the length field: the Int32 code and the rest. */
    void encodeBody(ByteBuf out);

    // StartupPacket: Int32 len (not in packet), Int32 code, body; dispatch on code
    static StartupPacket decode(ByteBuf packet) {
        int code = PgBuffers.readInt(packet);
        switch (code) {
            case CancelRequest.CODE:
                return CancelRequest.decodeAfterCode(packet);
            case SSLRequest.CODE:
                PgBuffers.requireEnd(packet);
                return SSLRequest.INSTANCE;
            case GSSENCRequest.CODE:
                PgBuffers.requireEnd(packet);
                return GSSENCRequest.INSTANCE;
            default:
                int major = code >>> 16;
                if (major != StartupMessage.MAJOR_VERSION) {
                    throw new ProtocolException(SqlState.FEATURE_NOT_SUPPORTED, "unsupported frontend protocol " + major + "." + (code & 0xFFFF)
                            + ": server supports 3.0 to 3." + StartupMessage.LATEST_MINOR_VERSION);
                }
                return StartupMessage.decodeAfterCode(code, packet);
        }
    }
}
