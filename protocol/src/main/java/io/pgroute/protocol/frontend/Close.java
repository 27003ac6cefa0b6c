package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;

/** Closes (deallocates) a prepared statement ({@code 'S'}) or portal ({@code 'P'}). */
public record Close(byte target, String name) implements FrontendMessage {

    public static final byte STATEMENT = 'S';
    public static final byte PORTAL = 'P';

    public Close {
        if (target != STATEMENT && target != PORTAL) {
            throw new IllegalArgumentException("target must be 'S' or 'P', not " + target);
        }
    }

    public static Close statement(String name) {
        return new Close(STATEMENT, name);
    }

    public static Close portal(String name) {
        return new Close(PORTAL, name);
    }

    @Override
    public FrontendType type() {
        return FrontendType.CLOSE;
    }

    // Close: Byte1('C') Int32 len, Byte1 'S'|'P', String name
    public static Close decode(ByteBuf body) {
        byte target = PgBuffers.readByte(body);
        if (target != STATEMENT && target != PORTAL) {
            throw new ProtocolException("invalid CLOSE message subtype " + target);
        }
        String name = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new Close(target, name);
    }

    // Close: Byte1('C') Int32 len, Byte1 'S'|'P', String name
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeByte(target);
        PgBuffers.writeCString(out, name);
    }

    @Override
    public String toString() {
        return "Close[target=" + (char) target + ", name=" + name + "]";
    }
}
