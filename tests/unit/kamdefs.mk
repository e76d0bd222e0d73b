# pchat - Persistent Chat (XCCOS) service for Kamailio
#
# Copyright (C) 2026 pchat developers
#
# This file is part of pchat, a module for Kamailio, a free SIP server.
#
# pchat is free software; you can redistribute it and/or modify it under the
# terms of the GNU General Public License as published by the Free Software
# Foundation; either version 2 of the License, or (at your option) any later
# version.
#

# Prints the preprocessor flags Kamailio's build gives a module (the -D
# flags of Makefile.defs), for the unit tests that compile module sources
# against the core headers:  make -s -f kamdefs.mk COREPATH=...
include $(COREPATH)/Makefile.defs
$(info $(C_DEFS) $(filter -D%,$(CFLAGS)))
all: ;
