// @peculiar/x509 relies on decorator metadata, which must be loaded before it.
import 'reflect-metadata';
