package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a StartupMessage that asked for a newer minor version or for {@code _pq_.} options the server does not
 * know: the newest minor version it supports and the options it did not recognise. On the wire the version is whole,
 * major and minor ({@code 3 << 16 | minor}) as PostgreSQL sends it: libpq 18 reads a bare minor as a downgrade to a
 * protocol before 3.0 and gives up.
 */
public record NegotiateProtocolVersion(int newestMinor, List<String> unrecognizedOptions) implements BackendMessage {

    public NegotiateProtocolVersion {
        unrecognizedOptions = List.copyOf(unrecognizedOptions);
    }

    @Override
    public BackendType type() {
        return BackendType.NEGOTIATE_PROTOCOL_VERSION;
    }

    private static final int MAJOR = 3;

    // NegotiateProtocolVersion: Byte1('v') Int32 len, Int32 newest version (major << 16 | minor), Int32 n,
    // String[n] options
    public static NegotiateProtocolVersion decode(ByteBuf body) {
        int newest = PgBuffers.readInt(body);
        if (newest >>> 16 != MAJOR) {
            throw new ProtocolException("invalid protocol version " + (newest >>> 16) + "." + (newest & 0xFFFF));
        }
        int newestMinor = newest & 0xFFFF;
        int count = PgBuffers.readInt(body);
        if (count < 0 || count > body.readableBytes()) {
            throw new ProtocolException("invalid option count " + count);
        }
        List<String> options = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            options.add(PgBuffers.readCString(body));
        }
        PgBuffers.requireEnd(body);
        return new NegotiateProtocolVersion(newestMinor, options);
    }

    // NegotiateProtocolVersion: Byte1('v') Int32 len, Int32 newest version (major << 16 | minor), Int32 n,
    // String[n] options
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(MAJOR << 16 | newestMinor);
        out.writeInt(unrecognizedOptions.size());
        for (String each : unrecognizedOptions) {
            PgBuffers.writeCString(out, each);
        }
    }
}
