"""From the program to call sites: find the HTTP and SDK calls, follow them to their callers, bound loops."""
