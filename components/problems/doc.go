// Package problems is how invalid input is reported: an InputError
// names the setting (its full peerpods: name), what is wrong and the fix;
// a List gathers every problem of a configuration into one error.
package problems
