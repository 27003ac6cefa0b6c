package io.pgroute.proxy.backend;

import io.pgroute.protocol.backend.ErrorResponse;

/**
 * A backend refused a connection with an ErrorResponse; the client is shown that error as PostgreSQL sent it.
 */
public final class BackendErrorException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient ErrorResponse error;

    public BackendErrorException(ErrorResponse error) {
        super(error.sqlState() + ": " + error.message());
        this.error = error;
    }

    public ErrorResponse error() {
        return error;
    }
}
