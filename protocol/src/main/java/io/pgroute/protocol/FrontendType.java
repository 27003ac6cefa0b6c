package io.pgroute.protocol;

/**
 * The type byte of each message a client sends after startup. {@code 'p'} is shared by PasswordMessage,
 * SASLInitialResponse, SASLResponse and GSSResponse: which one it is depends on the authentication exchange.
 */
public enum FrontendType {
    QUERY('Q'),
    PARSE('P'),
    BIND('B'),
    DESCRIBE('D'),
    EXECUTE('E'),
    SYNC('S'),
    FLUSH('H'),
    CLOSE('C'),
    TERMINATE('X'),
    COPY_DATA('d'),
    COPY_DONE('c'),
    COPY_FAIL('f'),
    FUNCTION_CALL('F'),
    PASSWORD('p');

    private static final FrontendType[] BY_CODE = new FrontendType[128];

    static {
        for (FrontendType each : values()) {
            BY_CODE[each.code] = each;
        }
    }

    private final byte code;

    FrontendType(char code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    /** The type with this code, or {@code null} if the code is not a frontend message type. */
    public static FrontendType of(byte code) {
        return code >= 0 ? BY_CODE[code] : null;
    }
}
