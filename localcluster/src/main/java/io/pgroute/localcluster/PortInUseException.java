package io.pgroute.localcluster;

import java.io.IOException;

/** The port a server was told to listen on was taken before it could bind it: pick another port and retry. */
final class PortInUseException extends IOException {

    private static final long serialVersionUID = 1L;

    PortInUseException(String message) {
        super(message);
    }
}
