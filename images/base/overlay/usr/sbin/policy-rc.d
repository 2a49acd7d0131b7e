#!/bin/sh
# Containers have no init: never let a package's maintainer scripts start a service.
exit 101
