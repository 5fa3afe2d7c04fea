-- The compose stack's databases besides POSTGRES_DB (dagster): the location store, the shop.
CREATE DATABASE location;
CREATE DATABASE shop;
