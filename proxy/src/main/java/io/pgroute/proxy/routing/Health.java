package io.pgroute.proxy.routing;

/** Whether the node monitor can query a node. */
public enum Health {
    /** The last query succeeded. */
    UP,
    /** The last query or connection attempt failed (or none has been made yet); the node takes no traffic. */
    DOWN
}
