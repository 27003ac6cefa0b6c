package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** Runs a portal, returning at most {@code maxRows} rows (0 = all) before PortalSuspended. */
public record Execute(String portal, int maxRows) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.EXECUTE;
    }

    // Execute: Byte1('E') Int32 len, String portal, Int32 max rows
    public static Execute decode(ByteBuf body) {
        String portal = PgBuffers.readCString(body);
        int maxRows = PgBuffers.readInt(body);
        PgBuffers.requireEnd(body);
        return new Execute(portal, maxRows);
    }

    // Execute: Byte1('E') Int32 len, String portal, Int32 max rows
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, portal);
        out.writeInt(maxRows);
    }
}
