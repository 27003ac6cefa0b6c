package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;

/**
 * The server's authentication requests (all type {@code 'R'}), told apart by an Int32 code.
 */
public sealed interface Authentication extends BackendMessage
        permits AuthenticationOk, AuthenticationCleartextPassword, AuthenticationMD5Password, AuthenticationGSS,
        AuthenticationGSSContinue, AuthenticationSSPI, AuthenticationSASL, AuthenticationSASLContinue,
        AuthenticationSASLFinal {

    int OK = 0;
    int CLEARTEXT_PASSWORD = 3;
    int MD5_PASSWORD = 5;
    int GSS = 7;
    int GSS_CONTINUE = 8;
    int SSPI = 9;
    int SASL = 10;
    int SASL_CONTINUE = 11;
    int SASL_FINAL = 12;

    /** The Int32 code that starts the body. */
    int code();

    @Override
    default BackendType type() {
        return BackendType.AUTHENTICATION;
    }

    // Authentication: Byte1('R') Int32 len, Int32 code, code-specific rest
    static Authentication decode(ByteBuf body) {
        int code = PgBuffers.readInt(body);
        Authentication result = switch (code) {
            case OK -> AuthenticationOk.INSTANCE;
            case CLEARTEXT_PASSWORD -> AuthenticationCleartextPassword.INSTANCE;
            case MD5_PASSWORD -> new AuthenticationMD5Password(PgBuffers.readBytes(body, 4));
            case GSS -> AuthenticationGSS.INSTANCE;
            case GSS_CONTINUE -> new AuthenticationGSSContinue(PgBuffers.readRemaining(body));
            case SSPI -> AuthenticationSSPI.INSTANCE;
            case SASL -> AuthenticationSASL.decodeAfterCode(body);
            case SASL_CONTINUE -> new AuthenticationSASLContinue(PgBuffers.readRemaining(body));
            case SASL_FINAL -> new AuthenticationSASLFinal(PgBuffers.readRemaining(body));
            default -> throw new ProtocolException("unsupported authentication request code " + code);
        };
        PgBuffers.requireEnd(body);
        return result;
    }
}
