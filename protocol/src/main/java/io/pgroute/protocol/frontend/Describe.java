package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;

/** Asks for the description of a prepared statement ({@code 'S'}) or portal ({@code 'P'}). */
public record Describe(byte target, String name) implements FrontendMessage {

    public static final byte STATEMENT = 'S';
    public static final byte PORTAL = 'P';

    public Describe {
        if (target != STATEMENT && target != PORTAL) {
            throw new IllegalArgumentException("target must be 'S' or 'P', not " + target);
        }
    }

    public static Describe statement(String name) {
        return new Describe(STATEMENT, name);
    }

    public static Describe portal(String name) {
        return new Describe(PORTAL, name);
    }

    @Override
    public FrontendType type() {
        return FrontendType.DESCRIBE;
    }

    // Describe: Byte1('D') Int32 len, Byte1 'S'|'P', String name
    public static Describe decode(ByteBuf body) {
        byte target = PgBuffers.readByte(body);
        if (target != STATEMENT && target != PORTAL) {
            throw new ProtocolException("invalid DESCRIBE message subtype " + target);
        }
        String name = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new Describe(target, name);
    }

    // Describe: Byte1('D') Int32 len, Byte1 'S'|'P', String name
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeByte(target);
        PgBuffers.writeCString(out, name);
    }

    @Override
    public String toString() {
        return "Describe[target=" + (char) target + ", name=" + name + "]";
    }
}
