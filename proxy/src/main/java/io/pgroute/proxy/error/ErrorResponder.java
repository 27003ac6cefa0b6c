package io.pgroute.proxy.error;

import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.ErrorResponse;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;

/**
 * The one place that turns a Java exception into the ErrorResponse a client sees. A client never gets a stack
 * trace: a known failure gets its SQLSTATE and a message written for a person, anything else gets XX000.
 */
public final class ErrorResponder {

    private ErrorResponder() {
    }

    /** A FATAL ErrorResponse for a failure that ends the client's connection. */
    public static ErrorResponse fatal(Throwable cause) {
        return ErrorResponse.fatal(sqlState(cause), message(cause));
    }

    /** An ERROR-level ErrorResponse for a failure that ends only the current request. */
    public static ErrorResponse error(Throwable cause) {
        return ErrorResponse.error(sqlState(cause), message(cause));
    }

    /** The SQLSTATE a client should see for this failure. */
    public static String sqlState(Throwable cause) {
        Throwable root = unwrap(cause);
        if (root instanceof ProtocolException protocol) {
            return protocol.sqlState();
        }
        if (root instanceof PgrouteException pgroute) {
            return pgroute.sqlState();
        }
        if (root instanceof ConnectException) {
            return SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH;
        }
        if (root instanceof ClosedChannelException || root instanceof IOException) {
            return SqlState.CONNECTION_FAILURE;
        }
        if (root instanceof OutOfMemoryError) {
            return SqlState.OUT_OF_MEMORY;
        }
        return SqlState.INTERNAL_ERROR;
    }

    private static String message(Throwable cause) {
        Throwable root = unwrap(cause);
        if (root instanceof ProtocolException || root instanceof PgrouteException) {
            return root.getMessage();
        }
        if (root instanceof ConnectException) {
            return "could not connect to the database server: " + reason(root);
        }
        if (root instanceof ClosedChannelException) {
            return "the database server closed the connection";
        }
        if (root instanceof IOException) {
            return "connection to the database server failed: " + reason(root);
        }
        if (root instanceof OutOfMemoryError) {
            // a message held whole (a Bind or Query of hundreds of MB) that the memory left cannot take
            return "out of memory: pgroute could not hold a message of this size; give its JVM more memory "
                    + "(-Xmx, -XX:MaxDirectMemorySize) or send smaller messages";
        }
        return "internal error in pgroute (" + root.getClass().getSimpleName() + ")";
    }

    /** The exception's message, or its kind where it has none (Netty's FileNotFoundException for a socket path). */
    private static String reason(Throwable root) {
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    private static Throwable unwrap(Throwable cause) {
        Throwable result = cause;
        while ((result instanceof io.netty.handler.codec.DecoderException
                || result instanceof java.util.concurrent.CompletionException
                || result instanceof java.util.concurrent.ExecutionException)
                && result.getCause() != null) {
            result = result.getCause();
        }
        return result;
    }
}
