package io.pgroute.proxy.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.function.ToIntFunction;

/**
 * One instance of each equal value for all the sessions that hold one (a startup parameter's name or value, the map
 * of parameters a client was told at login): thousands of idle clients hold the same few, and each would otherwise
 * keep a copy of its own. Bounded by weight, so that values that differ at every login cannot make it grow; a value
 * that drops out stays valid wherever it is held. A value given here must never be changed.
 */
public final class SharedValues<T> {

    private final Cache<T, T> values;

    /** @param maxWeight what the values kept may weigh together, by {@code weight} */
    public SharedValues(long maxWeight, ToIntFunction<T> weight) {
        this.values = Caffeine.newBuilder().maximumWeight(maxWeight).<T, T>weigher((key, same) ->
                weight.applyAsInt(key)).executor(Runnable::run).build();  // maintenance inline: no ForkJoin wake-up
    }

    /** The instance equal to {@code value} that sessions share: {@code value} itself if none was kept. */
    public T of(T value) {
        return values.get(value, same -> same);
    }
}
