package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.PgBuffers;
import java.util.ArrayList;
import java.util.List;

/** Offers SASL authentication with the listed mechanisms, most preferred first. */
public record AuthenticationSASL(List<String> mechanisms) implements Authentication {

    public AuthenticationSASL {
        mechanisms = List.copyOf(mechanisms);
    }

    @Override
    public int code() {
        return SASL;
    }

    // AuthenticationSASL: Byte1('R') Int32 len, Int32 10, (String mechanism)*, Byte1 0
    static AuthenticationSASL decodeAfterCode(ByteBuf body) {
        List<String> mechanisms = new ArrayList<>(2);
        while (true) {
            String mechanism = PgBuffers.readCString(body);
            if (mechanism.isEmpty()) {
                return new AuthenticationSASL(mechanisms);
            }
            mechanisms.add(mechanism);
        }
    }

    // AuthenticationSASL: Byte1('R') Int32 len, Int32 10, (String mechanism)*, Byte1 0
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(SASL);
        for (String each : mechanisms) {
            PgBuffers.writeCString(out, each);
        }
        out.writeByte(0);
    }
}
